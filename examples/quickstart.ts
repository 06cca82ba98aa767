// The README's example: two functions that message each other, state, egress, and exactly-once
// across a crash. Run it (`node dist/examples/quickstart.js ./shop 1000`), kill it with
// kill -9 whenever you like, run it again: every order is counted once and receipted once.
import { Runtime, StateFun, egressMessageBuilder, messageBuilder } from '../index.js';

const statefun = new StateFun();
statefun.bind({
  typename: 'shop/customer', // one instance per customer id
  specs: [{ name: 'orders', type: StateFun.intType() }],
  fn(context, message) {
    const orders = ((context.storage.orders as number | null) ?? 0) + 1; // state: read...
    context.storage.orders = orders; // ...and write; both commit with the sends below
    const item = message.asString();
    context.send(messageBuilder({ typename: 'shop/stock', id: item, value: context.self.id }));
    const receipt = `${context.self.id} #${orders}: ${item}`;
    context.send(
      egressMessageBuilder({ typename: 'shop/receipts', value: receipt, valueType: StateFun.stringType() }),
    );
  },
});
statefun.bind({
  typename: 'shop/stock', // one instance per item
  specs: [{ name: 'sold', type: StateFun.intType() }],
  fn(context) {
    context.storage.sold = ((context.storage.sold as number | null) ?? 0) + 1;
  },
});

const [dir = './shop', count = '1000'] = process.argv.slice(2);
const rt = await Runtime.start({ dir, statefun }); // recovers whatever a crash left behind
for (let i = 0; i < Number(count); i++) {
  const order = messageBuilder({ typename: 'shop/customer', id: `c${i % 10}`, value: `item-${i % 7}` });
  // Durable once it resolves. After a crash the same key is acknowledged, not processed again.
  await rt.send(order, { idempotencyKey: `order-${i}` });
}
await rt.idle(); // every order processed...
await rt.checkpoint(); // ...and committed: egress shows only what a checkpoint covers
const receipts: string[] = [];
for await (const r of rt.egress('shop/receipts', { from: 0, follow: false }))
  receipts.push(r.value.asString());
console.log(`${receipts.length} receipts, last: ${receipts.at(-1)}`); // always `count` of them
await rt.stop(); // finishes the work and takes a final checkpoint
