export async function newLabCommand(_args: string[]): Promise<number> { return 0; }
