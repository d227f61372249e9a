'use strict';
// A FIFO bound on the koffi async calls outstanding at once. koffi throws
// when more than `max_async_calls` (256 by default) are queued, and each one
// holds a native stack while it waits; the calls themselves run on libuv's
// thread pool (UV_THREADPOOL_SIZE, 4 by default), so waiting here instead
// costs no parallelism. Used from the JS thread only.

class CallQueue {
  #limit;
  #running = 0;
  #waiting = [];

  /** @param {number} limit how many calls may be started and not yet finished */
  constructor(limit) {
    this.#limit = limit;
  }

  /** Runs `start()` now if a slot is free, else when one is; `start` must call release() once. */
  run(start) {
    if (this.#running < this.#limit) {
      this.#running += 1;
      start();
    } else {
      this.#waiting.push(start);
    }
  }

  /** Hands the caller's slot to the oldest waiting call, or frees it. */
  release() {
    const next = this.#waiting.shift();
    if (next) {
      next();
    } else {
      this.#running -= 1;
    }
  }
}

module.exports = { CallQueue };
