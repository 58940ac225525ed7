/**
 * A terminal progress bar for training loops:
 *
 *   epoch 1 [=====>              ] 120/469 loss 0.3412 acc 91.2% 5320 samples/s eta 14s
 *
 * On a TTY it redraws one line in place with \r (at most every `redrawMs`). Elsewhere (CI logs, pipes) a
 * \r-redrawn line would pile up as one enormous line, so it prints plain full lines, at most one every
 * `throttleMs`, plus the final one from finish().
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  total: number;
  label?: string;
  /** defaults to process.stderr, so progress never mixes with results printed to stdout */
  stream?: ProgressStream;
  /** bar width in characters (default 24) */
  width?: number;
  /** minimum interval between plain lines when not a TTY (default 5000 ms) */
  throttleMs?: number;
  /** minimum interval between in-place redraws on a TTY (default 50 ms) */
  redrawMs?: number;
  /** clock, injectable for tests (default performance.now) */
  now?: () => number;
}

export interface ProgressStats {
  loss?: number;
  /** a fraction in [0, 1]; shown as a percentage */
  acc?: number;
  samplesPerSec?: number;
  tokensPerSec?: number;
}

export class ProgressBar {
  readonly total: number;
  readonly label: string;
  private readonly stream: ProgressStream;
  private readonly width: number;
  private readonly throttleMs: number;
  private readonly redrawMs: number;
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly start: number;
  private lastDraw = -Infinity;
  private lastLen = 0;
  private done = 0;
  private stats: ProgressStats = {};
  private finished = false;

  constructor(opts: ProgressOptions) {
    if (!Number.isFinite(opts.total) || opts.total < 0) throw new RangeError(`ProgressBar: total must be a non-negative number, got ${opts.total}`);
    this.total = opts.total;
    this.label = opts.label ?? '';
    this.stream = opts.stream ?? defaultStream();
    this.width = opts.width ?? 24;
    this.throttleMs = opts.throttleMs ?? 5000;
    this.redrawMs = opts.redrawMs ?? 50;
    this.now = opts.now ?? (() => performance.now());
    this.tty = this.stream.isTTY === true;
    this.start = this.now();
  }

  /** Record progress (`done` out of total) and the latest stats; draws if the throttle allows. */
  update(done: number, stats: ProgressStats = {}): void {
    if (this.finished) return;
    this.done = Math.max(0, Math.min(done, this.total));
    this.stats = stats;
    const t = this.now();
    if (t - this.lastDraw < (this.tty ? this.redrawMs : this.throttleMs)) return;
    this.lastDraw = t;
    this.draw(false);
  }

  /** Draw the final state and end the line; later calls to update/finish do nothing. */
  finish(stats?: ProgressStats): void {
    if (this.finished) return;
    if (stats) this.stats = stats;
    this.draw(true);
    this.finished = true;
  }

  /** The line as it would be drawn now, without control characters. */
  render(final = false): string {
    const frac = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.floor(frac * this.width);
    const bar =
      filled >= this.width ? '='.repeat(this.width) : '='.repeat(filled) + '>' + ' '.repeat(this.width - filled - 1);
    const parts = [`[${bar}]`, `${this.done}/${this.total}`];
    if (this.label) parts.unshift(this.label);
    const { loss, acc, samplesPerSec, tokensPerSec } = this.stats;
    if (loss !== undefined) parts.push(`loss ${formatLoss(loss)}`);
    if (acc !== undefined) parts.push(`acc ${(acc * 100).toFixed(1)}%`);
    if (samplesPerSec !== undefined) parts.push(`${Math.round(samplesPerSec)} samples/s`);
    if (tokensPerSec !== undefined) parts.push(`${Math.round(tokensPerSec)} tokens/s`);
    const elapsed = (this.now() - this.start) / 1000;
    if (final || this.done >= this.total) parts.push(`in ${formatDuration(elapsed)}`);
    else if (this.done > 0) parts.push(`eta ${formatDuration((elapsed / this.done) * (this.total - this.done))}`);
    return parts.join(' ');
  }

  private draw(final: boolean): void {
    const line = this.render(final);
    if (this.tty) {
      // pad over the previous, possibly longer, line instead of relying on an erase escape
      const pad = this.lastLen > line.length ? ' '.repeat(this.lastLen - line.length) : '';
      this.stream.write('\r' + line + pad + (final ? '\n' : ''));
      this.lastLen = line.length;
    } else {
      this.stream.write(line + '\n');
    }
  }
}

function defaultStream(): ProgressStream {
  const p = (globalThis as { process?: { stderr?: ProgressStream } }).process;
  if (p?.stderr) return p.stderr;
  // browsers: one console line per draw
  return { write: (s: string) => console.log(s.replace(/^\r|\n$/g, '')), isTTY: false };
}

/** Four decimals for ordinary losses, scientific notation when that would hide everything. */
function formatLoss(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : x.toFixed(4);
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
