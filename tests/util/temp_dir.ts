/**
 * Runs `fn` with a fresh temporary directory and removes it afterwards, whatever `fn` does.
 *
 * @example
 * ```ts ignore
 * await withTempDir(async (dir) => await Deno.writeTextFile(`${dir}/a.txt`, "x"), "io_test_");
 * ```
 */
export async function withTempDir(fn: (dir: string) => Promise<void>, prefix = "test_"): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
