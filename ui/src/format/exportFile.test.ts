import { describe, expect, it } from 'vitest';

import { exportExtension, exportFileName, exportMediaType } from './exportFile';

describe('export files', () => {
  it('names a download by its format', () => {
    expect(exportFileName('har')).toBe('hookscope-export.har');
    expect(exportFileName('curl')).toBe('hookscope-export.sh');
    expect(exportFileName('json')).toBe('hookscope-export.json');
  });

  it('keeps the extension the desktop suggests for a path', () => {
    expect(exportExtension('curl')).toBe('sh');
  });

  it('types HAR and JSON as JSON and curl as a shell script, all UTF-8', () => {
    expect(exportMediaType('har')).toBe('application/json;charset=utf-8');
    expect(exportMediaType('json')).toBe('application/json;charset=utf-8');
    expect(exportMediaType('curl')).toBe('text/x-shellscript;charset=utf-8');
  });
});
