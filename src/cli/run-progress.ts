import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { isTerminal } from '../core/run/run-state.ts';
import type { RunStatus } from '../core/run/run-status.ts';
import { type ApiClient, isTransient } from './api-client.ts';
import { CliError } from './cli-error.ts';

// Waiting for a run: polls its status, draws one bar per region on a terminal (a plain line every
// few seconds otherwise), and turns Ctrl-C into a cancel request so the run does not go on alone.

/** Exit code after a second Ctrl-C (128 + SIGINT), as shells report an interrupted command. */
export const EXIT_INTERRUPTED = 130;

export interface WaitOptions {
  /** Where progress goes (stderr: stdout stays for results). */
  stream?: NodeJS.WriteStream;
  /** Status poll period. */
  pollMs?: number;
  /** Without a terminal, one progress line this often. */
  plainEveryMs?: number;
  /** Ctrl-C asks the API to cancel the run (default true); a second one stops waiting. */
  cancelOnInterrupt?: boolean;
  /** Consecutive failed polls (API unreachable or 5xx) tolerated before giving up. */
  maxPollFailures?: number;
}

/** Polls until the run reaches a terminal state and returns that last status. */
export async function waitForRun(
  client: ApiClient,
  id: string,
  options: WaitOptions = {},
): Promise<RunStatus> {
  const stream = options.stream ?? process.stderr;
  const pollMs = options.pollMs ?? 1_000;
  const renderer = stream.isTTY
    ? new BarRenderer(stream)
    : new PlainRenderer(stream, options.plainEveryMs ?? 5_000);
  const interrupt = options.cancelOnInterrupt === false ? undefined : new Interrupt(client, id, renderer);
  interrupt?.listen();
  // Rejects on a second Ctrl-C; without interrupt handling, never settles.
  const giveUp = interrupt?.giveUp ?? new Promise<never>(() => {});
  try {
    let failures = 0;
    for (;;) {
      let status: RunStatus;
      try {
        status = await Promise.race([client.getRun(id), giveUp]);
        failures = 0;
      } catch (error) {
        if (!isTransient(error) || ++failures > (options.maxPollFailures ?? 10)) throw error;
        renderer.log(`status poll failed (${(error as Error).message.split('\n')[0]}); retrying`);
        await Promise.race([sleep(pollMs), giveUp]);
        continue;
      }
      renderer.update(status);
      if (isTerminal(status.state)) return status;
      await Promise.race([sleep(pollMs), giveUp]);
    }
  } finally {
    interrupt?.stop();
    renderer.stop();
  }
}

interface Renderer {
  update(status: RunStatus): void;
  log(line: string): void;
  stop(): void;
}

/** Ctrl-C handling while waiting: first press cancels the run, the second stops waiting. */
class Interrupt {
  readonly giveUp: Promise<never>;
  private rejectGiveUp: (error: Error) => void = () => {};
  private presses = 0;
  private readonly client: ApiClient;
  private readonly id: string;
  private readonly renderer: Renderer;
  private readonly handler = () => this.onSignal();

  constructor(client: ApiClient, id: string, renderer: Renderer) {
    this.client = client;
    this.id = id;
    this.renderer = renderer;
    this.giveUp = new Promise<never>((_, reject) => {
      this.rejectGiveUp = reject;
    });
    this.giveUp.catch(() => {}); // observed by the races above; never an unhandled rejection
  }

  listen(): void {
    process.on('SIGINT', this.handler);
  }

  stop(): void {
    process.off('SIGINT', this.handler);
  }

  private onSignal(): void {
    this.presses++;
    if (this.presses > 1) {
      this.rejectGiveUp(
        new CliError(
          `stopped waiting; run ${this.id} may still be cancelling: see \`fluidbench status ${this.id}\``,
          EXIT_INTERRUPTED,
        ),
      );
      return;
    }
    this.renderer.log(`cancelling run ${this.id} (Ctrl-C again to stop waiting)…`);
    this.client.cancelRun(this.id).then(
      (answer) => this.renderer.log(`run ${this.id} is ${answer.state}; waiting for it to stop`),
      (error: Error) => this.renderer.log(`cancel failed: ${error.message.split('\n')[0]}`),
    );
  }
}

interface RegionFigures {
  done: number;
  scheduled: number | null;
  inFlight: number;
  errors: number;
}

function regionFigures(status: RunStatus): [string, RegionFigures][] {
  return Object.entries(status.regions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, p]) => [
      name,
      { done: p.done, scheduled: p.scheduled, inFlight: p.in_flight, errors: p.errors },
    ]);
}

export function formatEta(etaS: number | null): string {
  if (etaS === null) return '—';
  const s = Math.max(0, Math.round(etaS));
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`;
}

/** One line of progress: `running 12 s | wnam 10/50 done, 2 in flight, 0 errors | … | ETA 20 s`. */
export function progressLine(status: RunStatus, elapsedS: number): string {
  const regions = regionFigures(status).map(
    ([name, r]) =>
      `${name} ${r.done}/${r.scheduled ?? '?'} done, ${r.inFlight} in flight, ${r.errors} errors`,
  );
  return [`${status.state} ${Math.round(elapsedS)} s`, ...regions, `ETA ${formatEta(status.eta_s)}`].join(
    ' | ',
  );
}

class PlainRenderer implements Renderer {
  private readonly stream: NodeJS.WriteStream;
  private readonly everyMs: number;
  private readonly startedMs = Date.now();
  private lastMs = Number.NEGATIVE_INFINITY;
  private lastState = '';

  constructor(stream: NodeJS.WriteStream, everyMs: number) {
    this.stream = stream;
    this.everyMs = everyMs;
  }

  update(status: RunStatus): void {
    const now = Date.now();
    // A line every few seconds, and whenever the state changes (queued → running → done).
    if (now - this.lastMs < this.everyMs && status.state === this.lastState) return;
    this.lastMs = now;
    this.lastState = status.state;
    this.stream.write(`${progressLine(status, (now - this.startedMs) / 1000)}\n`);
  }

  log(line: string): void {
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

class BarRenderer implements Renderer {
  private readonly multibar: MultiBar;
  private readonly bars = new Map<string, SingleBar>();

  constructor(stream: NodeJS.WriteStream) {
    this.multibar = new MultiBar(
      {
        stream,
        // Short enough for an 80-column terminal (cli-progress cuts lines at the terminal width).
        format:
          '{region} [{bar}] {value}/{totalText} done | {inFlight} in flight | {errors} errors | ETA {runEta}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        barsize: 20,
      },
      Presets.shades_classic,
    );
  }

  update(status: RunStatus): void {
    const width = Math.max(...Object.keys(status.regions).map((n) => n.length), 4);
    for (const [name, r] of regionFigures(status)) {
      // Without a known count (duration-bounded closed loop) the bar tracks what is done so far.
      const total = Math.max(r.scheduled ?? r.done + r.inFlight, 1);
      const payload = {
        region: name.padEnd(width),
        totalText: r.scheduled === null ? '?' : String(r.scheduled),
        inFlight: r.inFlight,
        errors: r.errors,
        runEta: formatEta(status.eta_s),
      };
      let bar = this.bars.get(name);
      if (!bar) {
        bar = this.multibar.create(total, r.done, payload);
        this.bars.set(name, bar);
      } else {
        bar.setTotal(total);
        bar.update(r.done, payload);
      }
    }
  }

  log(line: string): void {
    this.multibar.log(`${line}\n`);
  }

  stop(): void {
    this.multibar.stop();
  }
}
