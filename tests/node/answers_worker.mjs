// The clip journey over given answers, many times in one process: one JSON line in
// ({"base_url", "api_key", "video_id"}), one JSON line out ({result} or {error}), until stdin ends.
// A process per journey would cost more than the journey itself.
import readline from 'node:readline';
import videodb from 'videodb';
import { attempt, shotSummary } from './sdk_run.mjs';

async function clipJourney(baseUrl, apiKey, videoId) {
  const conn = videodb.connect(apiKey, baseUrl);
  const collection = await conn.getCollection();
  const video = await collection.getVideo(videoId);
  const clip = await video.clip('the given answers decide');
  const shots = clip.shots.map(shotSummary);
  const journey = {
    collection_id: collection.id,
    video: { id: video.id, collection_id: video.collectionId, length: video.length },
    shots,
    compiled: null,
    shot_stream: null,
  };
  if (clip.shots.length) {
    journey.compiled = await clip.compile();
    journey.shot_stream = await clip.shots[0].generateStream();
  }
  return journey;
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  const asked = JSON.parse(line);
  const outcome = await attempt(() => clipJourney(asked.base_url, asked.api_key, asked.video_id));
  process.stdout.write(JSON.stringify(outcome) + '\n');
}
