import react from '@vitejs/plugin-react';
import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';

// Tauri expects a fixed dev port and serves the built files from its own protocol.
export default defineConfig(({ mode }) => {
  // The address of a running `hookscope-cli serve --ui`, for UI work in a plain browser.
  const backend = loadEnv(mode, '.', 'HOOKSCOPE_').HOOKSCOPE_UI;
  return {
    plugins: [react()],
    clearScreen: false,
    server: {
      port: 1420,
      strictPort: true,
      proxy: backend
        ? {
            '/api': {
              target: backend,
              // The server accepts only its own Host and Origin: the request must look as if sent to it directly.
              changeOrigin: true,
              headers: { origin: new URL(backend).origin },
            },
          }
        : undefined,
    },
    preview: {
      port: 1420,
      strictPort: true,
    },
    build: {
      target: 'es2021',
      outDir: 'dist',
      emptyOutDir: true,
      sourcemap: false,
    },
    test: {
      include: ['src/**/*.test.ts'],
      environment: 'node',
    },
  };
});
