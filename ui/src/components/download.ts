/**
 * Saves text as a browser download: a page cannot write to the disk, so it hands the browser a
 * Blob through a temporary `<a download>`. Resolves with the size in bytes.
 */
export function downloadText(text: string, fileName: string, mediaType: string): number {
  const blob = new Blob([text], { type: mediaType });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Not at once: a browser may start reading the Blob only after click() returns.
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
  return blob.size;
}
