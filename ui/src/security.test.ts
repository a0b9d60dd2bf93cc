import { describe, expect, it } from 'vitest';

// Every source file as text, bundled by Vite at test time.
const sources = import.meta.glob<string>(['./**/*.{ts,tsx}', '!./**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

describe('payload rendering stays text-only', () => {
  it('finds the sources', () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
  });

  it.each([
    ['dangerouslySetInnerHTML', /dangerouslySetInnerHTML/],
    ['innerHTML / outerHTML', /\.(innerHTML|outerHTML)\b/],
    ['insertAdjacentHTML', /insertAdjacentHTML/],
    ['document.write', /document\.write/],
    ['eval / new Function', /\beval\(|new Function\(/],
  ])('no %s anywhere', (_name, pattern) => {
    const offenders = Object.entries(sources)
      .filter(([, text]) => pattern.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });

  it('only src/api imports @tauri-apps', () => {
    const offenders = Object.entries(sources)
      .filter(([path, text]) => !path.startsWith('./api/') && /from ['"]@tauri-apps\//.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });

  it('no href or src attributes are built in JSX', () => {
    const offenders = Object.entries(sources)
      .filter(([path, text]) => path.endsWith('.tsx') && /\s(href|src)=\{/.test(text))
      .map(([path]) => path);
    expect(offenders).toEqual([]);
  });
});
