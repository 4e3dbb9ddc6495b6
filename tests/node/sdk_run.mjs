// What every script here shares: the connection from argv, one JSON document out, errors as data.
// Usage of a script: node <script> <base_url> <api_key> <journey> [args...]
import videodb from 'videodb';

// Every error class of the SDK descends from VdbBaseError, which the package does not export.
function isSdkError(error) {
  for (let proto = Object.getPrototypeOf(error ?? {}); proto; proto = Object.getPrototypeOf(proto)) {
    if (proto.constructor?.name === 'VdbBaseError') return true;
  }
  return false;
}

// The SDK's error classes set no `name`, so the class is read from the constructor. An error that
// is not the SDK's (a TypeError on a shape the SDK cannot read, or a bug here) keeps its stack.
export function describeError(error) {
  // InvalidRequestError wraps the server's message one level down: { cause: { cause: message } }.
  let cause = error?.cause;
  while (cause && typeof cause === 'object' && 'cause' in cause) cause = cause.cause;
  const sdk = isSdkError(error);
  return {
    name: error?.constructor?.name ?? typeof error,
    message: String(error?.message ?? error),
    cause: cause === undefined ? null : String(cause?.message ?? cause),
    status: error?.response?.status ?? null,
    sdk_error: sdk,
    ...(sdk ? {} : { stack: String(error?.stack ?? '') }),
  };
}

// One step whose failure is part of what a journey reports: { result } or { error }.
export async function attempt(step) {
  try {
    return { result: await step() };
  } catch (error) {
    return { error: describeError(error) };
  }
}

// Runs one named journey and prints { result } or { error }, with the time it took.
// A journey name that is not known is the script's own failure: exit 2.
export async function main(journeys) {
  const [baseUrl, apiKey, name, ...args] = process.argv.slice(2);
  const journey = journeys[name];
  if (!journey) {
    process.stderr.write(`unknown journey ${name}; known: ${Object.keys(journeys).join(', ')}\n`);
    process.exit(2);
  }
  const conn = videodb.connect(apiKey, baseUrl);
  const began = performance.now();
  const outcome = await attempt(() => journey(conn, ...args));
  outcome.elapsed_ms = Math.round(performance.now() - began);
  process.stdout.write(JSON.stringify(outcome) + '\n');
}

// The SDK's own objects carry private HTTP clients; only plain fields go out.
export function shotSummary(shot) {
  return {
    video_id: shot.videoId,
    video_length: shot.videoLength,
    start: shot.start,
    end: shot.end,
    text: shot.text,
    score: shot.searchScore ?? null,
  };
}
