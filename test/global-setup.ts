// Placeholder until the lab lands: integration suites bring the lab up here.
export default async function setup(): Promise<void> {}
