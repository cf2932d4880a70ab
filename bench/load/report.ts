/** Small helpers the load benchmark's processes share: options, time limits, percentiles, tables. */
import { readFileSync } from 'node:fs';

export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i > 0) return process.argv[i + 1];
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq?.slice(name.length + 3);
}

export function numArg(name: string, fallback: number, min: number, max: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${name} must be a number in ${min}..${max}`);
  return n;
}

/** `--sessions 100,500,1000`: a list of whole numbers, each in range. */
export function listArg(name: string, fallback: number[], min: number, max: number): number[] {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n < min || n > max))
    throw new Error(`--${name} must be whole numbers in ${min}..${max}, comma-separated`);
  return list;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  return new Promise<T>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(timer), res(v)),
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes p's own rejection on unchanged
      (e) => (clearTimeout(timer), rej(e)),
    );
  });
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** /proc/loadavg as it reads, e.g. "1.52 0.98 0.61 3/180 12345": printed beside every figure, since the machine is shared. */
export function loadLine(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    return 'n/a';
  }
}

export const fmtMs = (n: number) => (Number.isFinite(n) ? n.toFixed(n >= 100 ? 0 : 1) : 'n/a');
export const fmtInt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const fmtPct = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)}%` : 'n/a');
export const fmtKb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KB` : 'n/a');
export const fmtMb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a');
export const fmtKbit = (bytesPerS: number) => (Number.isFinite(bytesPerS) ? `${((bytesPerS * 8) / 1000).toFixed(2)} kbit/s` : 'n/a');
export const met = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

/** A plain-text table on stdout: first column left, the others right, a last "notes" column left. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const last = header.length - 1;
  const line = (r: string[]) =>
    header
      .map((_, c) => {
        const cell = r[c] ?? '';
        return c === 0 || c === last ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!);
      })
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** Progress and diagnostics: stderr, so stdout holds only the tables. */
export const progress = (msg: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
