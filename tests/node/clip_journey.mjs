// The clip journey through the unmodified Node SDK, one step or the whole walk per journey name.
import { attempt, main, shotSummary } from './sdk_run.mjs';

const VIDEO = 'm-5d10f7e2';

async function clipSummary(video, prompt, contentType, modelName) {
  const result = await video.clip(prompt, contentType, modelName);
  return { collection_id: result.collectionId, shots: result.shots.map(shotSummary), sdk_result: result };
}

const journeys = {
  // connect → default collection → videos → one video → clip → compile → a shot's own stream.
  async journey(conn, prompt = 'show every goal and the penalty') {
    const collection = await conn.getCollection();
    const videos = await collection.getVideos();
    const video = await collection.getVideo(VIDEO);
    const { sdk_result: clip, ...clipped } = await clipSummary(video, prompt);
    const compiled = await clip.compile();
    const shotStream = clip.shots.length ? await clip.shots[0].generateStream() : null;
    return {
      collection: { id: collection.id, name: collection.name },
      videos: videos.map(v => ({ id: v.id, collection_id: v.collectionId, length: v.length })),
      video: { id: video.id, collection_id: video.collectionId, length: video.length, stream_url: video.streamUrl },
      clip: { ...clipped, stream_url: compiled, player_url: clip.playerUrl },
      shot_stream: { stream_url: shotStream, player_url: clip.shots[0]?.playerUrl ?? null },
    };
  },

  async collection(conn, id) {
    const collection = await conn.getCollection(id);
    return { id: collection.id, name: collection.name };
  },

  async video(conn, videoId) {
    const video = await (await conn.getCollection()).getVideo(videoId);
    return { id: video.id, length: video.length };
  },

  // Clips a video by id as listed (getVideo first), or, with "--unlisted", one the SDK never fetched.
  async clip(conn, videoId, prompt, ...flags) {
    const collection = await conn.getCollection();
    const video = flags.includes('--unlisted')
      ? Object.assign((await collection.getVideos())[0], { id: videoId })
      : await collection.getVideo(videoId);
    const { sdk_result: _, ...clipped } = await clipSummary(video, prompt);
    return clipped;
  },

  // Every listed video clipped with one prompt: each id → its shot count or the error it raised.
  async 'clip-all'(conn, prompt) {
    const outcomes = {};
    for (const video of await (await conn.getCollection()).getVideos()) {
      const clipped = await attempt(async () => (await video.clip(prompt)).shots.length);
      outcomes[video.id] = clipped.error ?? clipped.result;
    }
    return outcomes;
  },
};

await main(journeys);
