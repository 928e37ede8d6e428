import type { ShardProgress } from '../../core/run/run-status.ts';
import { BATCH_MAX_RECORDS } from '../../core/shard/record-batches.ts';
import type { ShardRecord } from '../../core/shard/shard-record.ts';
import type { DeferTask } from '../../core/stream/defer-task.ts';
import type { ShardStorage } from './shard-storage.ts';

/**
 * How long finished records may wait in memory before they are stored (sooner once a batch is
 * full): rows written are billed, and a batch a second is a row per ~32 requests at 32 streams.
 * A restart loses what waits here with the streams in flight (recorded as lost, as they are).
 */
const STORE_EVERY_MS = 1_000;

/**
 * A slice's finished requests on their way to the shard's storage: in batches (one transaction, a
 * row per batch), at most STORE_EVERY_MS after the first of them finished, and always in a timer
 * turn after the reads that are ready, so a write never runs between a read and its timestamp.
 */
export class CompletionBatcher {
  private readonly store: ShardStorage;
  private readonly progress: ShardProgress;
  private readonly defer: DeferTask;
  private readonly waiting: { pos: number; record: ShardRecord }[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(store: ShardStorage, progress: ShardProgress, defer: DeferTask) {
    this.store = store;
    this.progress = progress;
    this.defer = defer;
  }

  add(pos: number, record: ShardRecord): void {
    this.waiting.push({ pos, record });
    if (this.waiting.length === 1) this.timer = setTimeout(this.store_, STORE_EVERY_MS);
    else if (this.waiting.length === BATCH_MAX_RECORDS) this.defer(this.store_);
  }

  /**
   * The slice's end: stores what waits, and in the same transaction saves the slice's exact
   * checkpoint (even with nothing waiting), so a restart before the next slice repeats no send.
   */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.store.completeAll(this.waiting.splice(0), this.progress);
  }

  private readonly store_ = (): void => {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.waiting.length > 0) this.store.completeAll(this.waiting.splice(0), this.progress);
  };
}
