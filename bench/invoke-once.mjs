// Cold-start child: imports a bundle, answers one direct-invoke event, prints
// where the time went, and exits at once (a keep-alive socket must not keep
// the process alive). Plain JS so that no TypeScript loading is measured.
const [bundle, eventJson] = process.argv.slice(2);
const t0 = performance.now();
const mod = await import(bundle);
const t1 = performance.now();
const handler = mod.handler ?? mod.default?.handler;
const context = {
  awsRequestId: 'bench-cold',
  functionName: 'bench',
  getRemainingTimeInMillis: () => 10_000,
  callbackWaitsForEmptyEventLoop: false,
};
const result = await handler(JSON.parse(eventJson), context);
const t2 = performance.now();
if (!Array.isArray(result?.tokens) || result.tokens.length === 0) {
  process.stderr.write(`no token in ${JSON.stringify(result)}\n`);
  process.exit(1);
}
process.stdout.write(`\n${JSON.stringify({ bootMs: t0, importMs: t1 - t0, invokeMs: t2 - t1 })}\n`);
process.exit(0);
