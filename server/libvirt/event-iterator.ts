// An async-iterator view of an event subscription (conn.domainEvents(),
// networkEvents(), storagePoolEvents()).

/**
 * Buffers events between `next()` calls. Unbounded by design: events are
 * small and a consumer that stops reading should call return() (or break out
 * of its for-await loop), which unsubscribes.
 */
export class EventIterator<E> implements AsyncIterableIterator<E> {
  private readonly buffered: E[] = [];
  private readonly waiting: ((result: IteratorResult<E>) => void)[] = [];
  private done = false;

  constructor(private readonly unsubscribe: () => Promise<void>) {}

  readonly push = (event: E): void => {
    if (this.done) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter({ value: event, done: false });
    else this.buffered.push(event);
  };

  next(): Promise<IteratorResult<E>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async return(): Promise<IteratorResult<E>> {
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
