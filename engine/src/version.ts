/** This engine's version (packs name the engine range they need). */
export const ENGINE_VERSION = '0.1.0';
