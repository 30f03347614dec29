/**
 * Dataset access: the eight labels, loaders for RAVDESS, TESS and CSV manifests (each item
 * `{ path, label, speaker, corpus }`, unlabelled files reported as problems), and the on-disk
 * feature cache.
 *
 * @example
 * import { FeatureStore, listCorpora, unpackedDataDir } from "./lib/data/mod.ts";
 * const { items } = await listCorpora(unpackedDataDir());
 * const store = new FeatureStore();
 * for (const item of items) await store.features(item.path);
 */

export * from "./labels.ts";
export * from "./types.ts";
export * from "./walk.ts";
export * from "./ravdess.ts";
export * from "./tess.ts";
export * from "./manifest.ts";
export * from "./corpora.ts";
export * from "./feature_store.ts";
