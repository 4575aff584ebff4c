import * as fs from "node:fs";
import * as path from "node:path";

/*
 * The package's own folder, found from this module's location rather than the working directory:
 * the same walk works from src/runtime (ts-node, jest), from dist/runtime in a checkout and from
 * node_modules/avfusion/dist/runtime in an installed package, so shipped files (models/, the
 * version) are found wherever the user stands.
 */

const PACKAGE_NAME = "avfusion";

type PackageJson = { name?: unknown; version?: unknown };

let cached: { root: string; json: PackageJson } | null | undefined;

function readPackageJson(dir: string): PackageJson | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as PackageJson;
  } catch {
    return undefined;
  }
}

function findPackage(): { root: string; json: PackageJson } | null {
  // Stop at the first package.json named avfusion: a package.json of another name (a user's
  // project above node_modules) is walked past, the file system root ends the walk.
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const json = readPackageJson(dir);
    if (json?.name === PACKAGE_NAME) return { root: dir, json };
    if (path.dirname(dir) === dir) return null;
  }
}

function found(): { root: string; json: PackageJson } | null {
  if (cached === undefined) cached = findPackage();
  return cached;
}

/** The avfusion package's folder (the one holding its package.json), or undefined when bundled without it. */
export function packageRoot(): string | undefined {
  return found()?.root;
}

/** The package's version from its package.json (`0.0.0` when it cannot be found). */
export function packageVersion(): string {
  const version = found()?.json.version;
  return typeof version === "string" ? version : "0.0.0";
}
