// Crashes at start: reads a property of undefined.
const config: { port?: { value: number } } = {};
console.log('starting');
console.log(config.port!.value);
