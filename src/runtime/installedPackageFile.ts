import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The path of a file shipped inside an installed npm package (`pkg/rel`), looked up the way
 * `require` looks up the package (every node_modules from here up), or undefined when the
 * package is not installed. For data files a package's `exports` map does not list, such as
 * model weights.
 */
export function installedPackageFile(pkg: string, rel: string): string | undefined {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const file = path.join(dir, pkg, rel);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}
