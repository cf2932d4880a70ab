/** Where a node's CPU went in a window: self time of a V8 .cpuprofile, by function and by package. */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

/** Which part of the program a function belongs to: a dependency, one of our packages, Node itself, or V8's own entries. */
function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dep) return dep[1]!;
  const ours = /\/packages\/([^/]+)\//.exec(url);
  if (ours) return `@tandem/${ours[1]}`;
  if (url.startsWith('node:')) return 'node: (runtime)';
  return url.replace(/^.*\//, '');
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(node_modules|packages)\//, '$1/').replace(/^node:/, 'node:');
}

/** Self time by function (top `limit`) and by owner, in ms of the window and as shares of all samples. */
export function summarize(profile: CpuProfile, limit = 15): { byFunction: SelfTime[]; byOwner: SelfTime[]; totalMs: number } {
  const samples = profile.samples?.length ?? profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0);
  const msPerSample = samples ? (profile.endTime - profile.startTime) / 1000 / samples : 0;
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    // tsx compiles our sources to one line each: a line number there says nothing.
    const line = lineNumber > 0 ? `:${lineNumber + 1}` : '';
    const name = url ? `${functionName || '(anonymous)'} ${shortUrl(url)}${line}` : functionName || '(anonymous)';
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    const owner = ownerOf(url, functionName);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + hits);
  }
  const rank = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, hits]) => ({ name, ms: hits * msPerSample, share: hits / samples }));
  return { byFunction: rank(byFunction, limit), byOwner: rank(byOwner, limit), totalMs: samples * msPerSample };
}
