import { defineConfig } from "vite";

// The built application is served by the Python API (`shadowfleet serve`) from
// src/shadowfleet/web: `/` gives index.html and the assets keep their relative paths.
export default defineConfig({
  base: "./",
  build: {
    outDir: "../src/shadowfleet/web",
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
    rollupOptions: {
      output: {
        // MapLibre's worker module keeps a .js name so every server sends it as JavaScript.
        assetFileNames: (info) =>
          (info.names?.[0] ?? "").endsWith(".mjs") ? "assets/[name]-[hash].js" : "assets/[name]-[hash][extname]",
      },
    },
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
    },
  },
});
