import { useEffect, useState } from 'react';

import { subscribeAccessProblem } from '../api';

/** One line across the window when the browser page holds no valid token; never shown on the desktop. */
export function AccessBanner() {
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => subscribeAccessProblem(setMessage), []);
  if (message === null) return null;
  return (
    <div className="access-banner" id="access-banner" data-testid="access-banner" role="alert">
      {message}
    </div>
  );
}
