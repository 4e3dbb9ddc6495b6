// The journeys beyond clip (shared SDK-JOURNEYS.md sections 3.1-3.9) through the unmodified Node SDK,
// one per name: node app_journeys.mjs <base_url> <api_key> <journey> [args...]
// Each prints what the SDK returned; a step whose failure is the point is reported with attempt().
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { attempt, main, shotSummary } from './sdk_run.mjs';

const VIDEO = 'm-5d10f7e2';

// The plain fields of an SDK object (Video, Audio, Image), its class named: its methods stay behind.
function media(object) {
  if (object === undefined || object === null) return object ?? null;
  const fields = Object.entries(object).filter(([, value]) => typeof value !== 'function');
  return { class: object.constructor.name, ...Object.fromEntries(fields) };
}

function searchSummary(result) {
  return {
    collection_id: result.collectionId,
    count: result.shots.length,
    video_ids: [...new Set(result.shots.map(shot => shot.videoId))],
    shots: result.shots.map(shotSummary),
  };
}

// A search's shots, then what compile and the first shot's own stream give back.
async function searchThenPlay(result) {
  const summary = searchSummary(result);
  if (!result.shots.length) return summary;
  summary.compiled = await attempt(async () => ({ stream_url: await result.compile(), player_url: result.playerUrl }));
  const shot = result.shots[0];
  summary.shot_stream = await attempt(async () => ({ stream_url: await shot.generateStream(), player_url: shot.playerUrl }));
  return summary;
}

async function videoOf(conn, videoId = VIDEO) {
  return (await conn.getCollection()).getVideo(videoId);
}

const journeys = {
  // 3.1 coll.uploadURL({url, name?}): the media object, then whether the collection lists it.
  async 'upload-url'(conn, url = 'https://example.com/media/launch-keynote.mp4', name) {
    const collection = await conn.getCollection();
    const uploaded = await collection.uploadURL(name === undefined ? { url } : { url, name });
    const listed = (await collection.getVideos()).map(v => v.id);
    const isVideo = uploaded?.constructor?.name === 'Video';
    const stream = isVideo ? await attempt(() => uploaded.generateStream()) : null;
    // An uploaded video is clipped like a fixture one: its shots come from the template's transcript.
    const clip = isVideo ? await attempt(async () => (await uploaded.clip('every goal and the penalty')).shots.map(shotSummary)) : null;
    return { media: media(uploaded), listed: listed.includes(uploaded?.id), video_ids: listed, stream, clip };
  },

  // 3.1 coll.uploadFile({filePath}): upload_url, the multipart POST to it, then the upload by that URL.
  async 'upload-file'(conn, fileName = 'team-standup.mp4', size = '2048') {
    const folder = mkdtempSync(join(tmpdir(), 'videodb-node-upload-'));
    const filePath = join(folder, fileName);
    writeFileSync(filePath, Buffer.alloc(Number(size), 7)); // a small made-up file; its bytes pick the template
    try {
      const collection = await conn.getCollection();
      const uploaded = await collection.uploadFile({ filePath });
      const listed = (await collection.getVideos()).map(v => v.id);
      return { file: { name: fileName, size: Number(size) }, media: media(uploaded), listed: listed.includes(uploaded?.id) };
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  },

  // 3.2 indexSpokenWords, then search: default (semantic), 'keyword'; shots, compile, a shot's stream.
  async 'spoken-search'(conn, query = 'penalty', keyword = 'goal', videoId = VIDEO) {
    const video = await videoOf(conn, videoId);
    const before = await attempt(async () => searchSummary(await video.search(query)));
    const indexed = await video.indexSpokenWords();
    const semantic = await attempt(async () => searchThenPlay(await video.search(query)));
    const byKeyword = await attempt(async () => searchSummary(await video.search(keyword, 'keyword')));
    return { video_id: video.id, search_before_index: before, indexed, semantic, keyword: byKeyword };
  },

  // 3.3 indexScenes, listSceneIndex, getSceneIndex(id), search(q, 'scene').
  async 'scene-search'(conn, query = 'crowd celebrating', videoId = VIDEO) {
    const video = await videoOf(conn, videoId);
    const sceneIndexId = await video.indexScenes();
    const indexes = await video.listSceneIndex();
    const records = await video.getSceneIndex(sceneIndexId);
    const found = await attempt(async () => searchThenPlay(await video.search(query, 'scene')));
    return {
      scene_index_id: sceneIndexId ?? null,
      scene_indexes: indexes ?? null,
      records: records ?? null, // plain {start, end, description} objects, ten or so
      search: found,
    };
  },

  // 3.5 getTranscript (the whole data object in Node), getTranscriptText, generateTranscript.
  async transcript(conn, videoId = VIDEO, start, end) {
    const video = await videoOf(conn, videoId);
    const whole = await video.getTranscript();
    const words = whole?.wordTimestamps;
    const span = start === undefined ? null : await video.getTranscriptText(Number(start), Number(end));
    return {
      transcript: { keys: Object.keys(whole ?? {}), words: Array.isArray(words) ? words.length : null,
        first_word: words?.[0] ?? null, text: whole?.text ?? null },
      text: await video.getTranscriptText(),
      text_between: span,
      generated: await video.generateTranscript(),
    };
  },

  // 3.6 coll.search(q): the server's 400 while no video of the collection is indexed, then, with one
  // video indexed, that video's shots only; 'keyword' over a collection Node refuses without a request.
  async 'collection-search'(conn, query = 'goal', videoId = VIDEO) {
    const collection = await conn.getCollection();
    const before = await attempt(async () => searchSummary(await collection.search(query)));
    await (await collection.getVideo(videoId)).indexSpokenWords();
    const found = await attempt(async () => searchThenPlay(await collection.search(query)));
    const keyword = await attempt(async () => searchSummary(await collection.search(query, 'keyword')));
    return { collection_id: collection.id, search_before_index: before, semantic: found, keyword };
  },

  // 3.8 generateThumbnail(): GET …/thumbnail unless the video answer carried `thumbnail`.
  async thumbnail(conn, videoId = VIDEO) {
    const video = await videoOf(conn, videoId);
    const had = video.thumbnail ?? null;
    const url = await video.generateThumbnail();
    return { video_id: video.id, thumbnail_before: had, thumbnail_url: url, again: await video.generateThumbnail() };
  },

  // What this key's collection lists, and what getVideo gives for each id asked about.
  async videos(conn, ...videoIds) {
    const collection = await conn.getCollection();
    const listed = (await collection.getVideos()).map(v => v.id);
    const fetched = {};
    for (const id of videoIds) fetched[id] = await attempt(async () => media(await collection.getVideo(id)));
    return { video_ids: listed, fetched };
  },

  // 3.9 video.delete(), then getVideo fails and the list no longer has it.
  async delete(conn, videoId = 'm-2c9e84b1') {
    const collection = await conn.getCollection();
    const video = await collection.getVideo(videoId);
    const answer = await video.delete();
    const after = await attempt(async () => media(await collection.getVideo(videoId)));
    const listed = (await collection.getVideos()).map(v => v.id);
    const again = await attempt(() => video.delete());
    return {
      deleted: answer ?? null, // Node returns the envelope ({success, message?, data?})
      get_after: after,
      listed_after: listed.includes(videoId),
      video_ids: listed,
      delete_again: again, // a second delete of the same id: the server's choice, reported as is
    };
  },
};

await main(journeys);
