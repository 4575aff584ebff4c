import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { checkModels, memoryModelFiles, modelsDirOf } from "./modelFiles";
import { MODELS_ENV, nodeModelFiles, resolveModelsDir } from "./nodeModelFiles";
import { packageRoot, packageVersion } from "./packageRoot";

const REPO = resolve(__dirname, "../..");

describe("the package's own location", () => {
  it("is found from this module, not from the working directory", () => {
    expect(packageRoot()).toBe(REPO);
    expect(packageVersion()).toBe((JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version);
  });
});

describe("resolveModelsDir", () => {
  it("takes --models first, then $AVFUSION_MODELS, then the package's models/", () => {
    expect(resolveModelsDir("some/dir", { [MODELS_ENV]: "/env/models" })).toBe(resolve("some/dir"));
    expect(resolveModelsDir(undefined, { [MODELS_ENV]: "/env/models" })).toBe("/env/models");
    expect(resolveModelsDir(undefined, { [MODELS_ENV]: "" })).toBe(join(REPO, "models"));
    expect(resolveModelsDir(undefined, {})).toBe(join(REPO, "models"));
  });

  it("is what nodeModelFiles() offers as the default models", () => {
    const files = nodeModelFiles();
    expect(files.modelsDir).toBe(resolveModelsDir());
    expect(modelsDirOf(files)).toBe(files.modelsDir);
    expect(modelsDirOf(files, "mine")).toBe("mine");
    expect(modelsDirOf(memoryModelFiles())).toBe("models");
  });
});

describe("checkModels", () => {
  const files = memoryModelFiles();
  beforeAll(() => files.write("m/radar/model.json", new Uint8Array([123, 125])));

  it("warns once per kind whose model is missing", async () => {
    const lines = await checkModels(files, "m", ["radar", "camera", "camera"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^no camera model in m \(camera\/model\.json\): the camera sensors give no evidence/);
    expect(await checkModels(files, "m", ["radar"])).toEqual([]);
  });

  it("fails as bad input (code model) when no sensor of the run has its model", async () => {
    await expect(checkModels(files, "elsewhere", ["radar", "lidar"])).rejects.toMatchObject({
      code: "model",
      message: expect.stringMatching(
        /^models elsewhere: no model for any sensor of the run \(looked for radar\/model\.json, lidar\/model\.json\)/,
      ),
    });
  });
});
