// A counting semaphore with weights, first come first served: bounds how many SSH
// connections a fleet run holds open at once, and how many channels one connection opens
// (weight 1 each). A session takes all its permits in one go
// (never some now and some later), so two clusters can never each hold half and wait for
// the other: no deadlock, whatever the bound.

type Release = () => void;

export class Semaphore {
  #free: number;
  readonly #waiting: Array<{ weight: number; grant: () => void }> = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`a semaphore needs a whole capacity of at least 1, not ${capacity}`);
    this.#free = capacity;
  }

  get free(): number {
    return this.#free;
  }

  /**
   * Waits for `weight` permits and returns the function that gives them back (once, however
   * often it is called). A weight above the capacity takes the whole capacity: that work
   * then runs alone rather than never.
   */
  async acquire(weight: number): Promise<Release> {
    const taken = Math.min(Math.max(weight, 0), this.capacity);
    if (this.#waiting.length === 0 && taken <= this.#free) this.#free -= taken;
    else await new Promise<void>((grant) => this.#waiting.push({ weight: taken, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += taken;
      this.#grantWaiting();
    };
  }

  /** In arrival order: a large request is not overtaken forever by small ones. */
  #grantWaiting(): void {
    while (this.#waiting.length > 0 && this.#waiting[0].weight <= this.#free) {
      const next = this.#waiting.shift()!;
      this.#free -= next.weight;
      next.grant();
    }
  }
}
