// Fan-out of domain events to listeners, and an async-iterator view of them.
import { DOMAIN_EVENT_IDS, type DomainEvent, type DomainEventKind } from './generated/events';

export type DomainEventListener = (event: DomainEvent) => void;

export const ALL_DOMAIN_EVENT_KINDS = Object.keys(DOMAIN_EVENT_IDS) as DomainEventKind[];

/**
 * Buffers events between `next()` calls. Unbounded by design: events are
 * small and a consumer that stops reading should call return() (or break out
 * of its for-await loop), which unsubscribes.
 */
export class DomainEventIterator implements AsyncIterableIterator<DomainEvent> {
  private readonly buffered: DomainEvent[] = [];
  private readonly waiting: ((result: IteratorResult<DomainEvent>) => void)[] = [];
  private done = false;

  constructor(private readonly unsubscribe: () => Promise<void>) {}

  readonly push: DomainEventListener = (event) => {
    if (this.done) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.buffered.push(event);
  };

  next(): Promise<IteratorResult<DomainEvent>> {
    const event = this.buffered.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async return(): Promise<IteratorResult<DomainEvent>> {
    if (!this.done) {
      this.done = true;
      for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
      await this.unsubscribe();
    }
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
