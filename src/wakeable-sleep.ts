/**
 * Sleeps that can be cut short: reconcile loops wait one tick between passes, and stopping the
 * engine wakes every waiting loop at once instead of letting it finish its tick.
 */
export class WakeableSleeps {
  private readonly wakers = new Set<() => void>();

  /** Resolves after `ms`, or at once when wakeAll() is called. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
