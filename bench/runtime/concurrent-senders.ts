/**
 * Drives a workload's sends from many concurrent async senders, each awaiting its `rt.send`
 * before the next: the number of senders is the number of sends in flight, as with that many
 * independent producers. The first failure stops every sender and is rethrown.
 */

/** Produces the next send, or undefined when there is nothing more to send. */
export type NextSend = () => Promise<unknown> | undefined;

/** Runs `senders` loops over `next` until it returns undefined everywhere. */
export async function runConcurrentSenders(senders: number, next: NextSend): Promise<void> {
  let failed = false;
  const loop = async (): Promise<void> => {
    while (!failed) {
      const sending = next();
      if (sending === undefined) return;
      try {
        await sending;
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: senders }, loop));
}
