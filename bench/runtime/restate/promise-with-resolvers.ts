/**
 * `Promise.withResolvers` (ES2024) for Node 20, which lacks it and which the Restate SDK calls
 * on every invocation. Imported for its side effect, first, by the SDK endpoint process only:
 * the bench harness patches its own child, never statefn or the process that imports statefn.
 */

type Resolvers<T> = {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
};

type WithResolvers = { withResolvers?: <T>() => Resolvers<T> };

const promiseConstructor = Promise as PromiseConstructor & WithResolvers;

if (typeof promiseConstructor.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      // `this`, not `Promise`, as the spec does, so subclasses get instances of themselves.
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
