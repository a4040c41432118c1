import { resolve } from "node:path";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Two pages: the console (served at /admin/) and the API docs (served at /docs/); both
// load their assets from /admin/assets/.
export default defineConfig({
  base: "/admin/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        console: resolve(import.meta.dirname, "index.html"),
        docs: resolve(import.meta.dirname, "docs/index.html"),
      },
    },
  },
  server: {
    // `npm run dev` against a running `scripts/dev`.
    proxy: { "/v1": "http://127.0.0.1:3000", "/openapi.yaml": "http://127.0.0.1:3000" },
  },
});
