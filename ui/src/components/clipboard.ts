/** Clipboard write with a fallback for webviews that refuse the async clipboard API. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch (err) {
    if (!legacyCopy(text)) throw err;
  }
}

function legacyCopy(text: string): boolean {
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    // Deprecated, but the only option where the async clipboard API is refused.
    return document.execCommand('copy');
  } finally {
    area.remove();
  }
}
