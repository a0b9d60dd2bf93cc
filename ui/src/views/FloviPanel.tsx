import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import {
  ApiError,
  type FieldError,
  type FloviCall,
  type FloviOffice,
  type FloviSettings,
  type ScheduleRequest,
  type ScheduleResult,
  createFloviSchedule,
  getFloviSettings,
  listFloviCalls,
  listFloviOffices,
  rerunFloviCall,
  validateFloviSchedule,
} from '../api';
import { type Explanation, explainError } from '../format/flovi';
import {
  type End,
  type FieldErrors,
  type ScheduleField,
  type ScheduleForm,
  FIELD_LABELS,
  buildRequest,
  mergeErrors,
  newScheduleForm,
  officeField,
  pendingFields,
  typeField,
  validateSchedule,
} from '../state/floviForm';
import { FloviHistory } from './flovi/FloviHistory';
import { FloviOffices } from './flovi/FloviOffices';
import { FloviSetup } from './flovi/FloviSetup';
import { ScheduleFormCard } from './flovi/ScheduleFormCard';
import { ScheduleResultCard } from './flovi/ScheduleResultCard';

const ALL_FIELDS = new Set(Object.keys(FIELD_LABELS) as ScheduleField[]);
/** Server-side validation runs this long after the last edit. */
const VALIDATE_DEBOUNCE_MS = 250;

export interface CreatedSchedule {
  result: ScheduleResult;
  request: ScheduleRequest;
  at: number;
}

/**
 * The Flovi customer API: connection settings, the office list, a schedule request with its
 * result, and the history of every call. Stays mounted (hidden) while the inspector is shown.
 */
export function FloviPanel({ hidden }: { hidden: boolean }) {
  const [settings, setSettings] = useState<FloviSettings | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);

  const [offices, setOffices] = useState<FloviOffice[] | null>(null);
  const [officesBusy, setOfficesBusy] = useState(false);
  const [officesError, setOfficesError] = useState<Explanation | null>(null);

  const [form, setForm] = useState<ScheduleForm>(() => newScheduleForm(new Date()));
  const [touched, setTouched] = useState<ReadonlySet<ScheduleField>>(() => new Set());
  const [server, setServer] = useState<{ key: string; errors: FieldError[] } | null>(null);
  const [sending, setSending] = useState(false);
  const [scheduleError, setScheduleError] = useState<Explanation | null>(null);
  const [created, setCreated] = useState<CreatedSchedule | null>(null);

  const [calls, setCalls] = useState<FloviCall[] | null>(null);
  const [historyError, setHistoryError] = useState<string | null>(null);
  const [rerunning, setRerunning] = useState<number | null>(null);
  const [rerunError, setRerunError] = useState<Explanation | null>(null);
  const [freshCall, setFreshCall] = useState<number | null>(null);

  const resultRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let alive = true;
    getFloviSettings().then(
      (s) => alive && setSettings(s),
      (err: unknown) => alive && setSettingsError(ApiError.from(err).message),
    );
    return () => {
      alive = false;
    };
  }, []);

  const refreshHistory = useCallback(() => {
    listFloviCalls().then(
      (list) => {
        setCalls(list);
        setHistoryError(null);
      },
      (err: unknown) => setHistoryError(ApiError.from(err).message),
    );
  }, []);

  // Calls may have been made while the panel was hidden (none today, but the CLI shares the store).
  useEffect(() => {
    if (!hidden) refreshHistory();
  }, [hidden, refreshHistory]);

  const onSettings = useCallback((next: FloviSettings, what: 'baseUrl' | 'key') => {
    setSettings(next);
    // Errors and offices from another URL or key would mislead.
    setOfficesError(null);
    setScheduleError(null);
    if (what === 'baseUrl') setOffices(null);
  }, []);

  const loadOffices = async () => {
    setOfficesBusy(true);
    setOfficesError(null);
    try {
      setOffices(await listFloviOffices());
    } catch (err) {
      setOfficesError(explainError(ApiError.from(err), 'offices'));
    } finally {
      setOfficesBusy(false);
      refreshHistory();
    }
  };

  // ---------- the form ----------

  const request = useMemo(() => buildRequest(form), [form]);
  const requestKey = useMemo(() => JSON.stringify(request), [request]);
  const clientErrors = useMemo(() => validateSchedule(form, offices), [form, offices]);

  useEffect(() => {
    let alive = true;
    const timer = window.setTimeout(() => {
      validateFloviSchedule(request).then(
        (errors) => alive && setServer({ key: requestKey, errors }),
        // Validation is advisory here; Send validates again and reports any failure.
        () => alive && setServer({ key: requestKey, errors: [] }),
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => {
      alive = false;
      window.clearTimeout(timer);
    };
  }, [request, requestKey]);

  // Backend answers for an older request are dropped rather than shown against new input.
  const serverErrors = server && server.key === requestKey ? server.errors : [];
  const merged = mergeErrors(clientErrors, serverErrors);
  const shownErrors: FieldErrors = {};
  for (const f of Object.keys(merged.fields) as ScheduleField[]) {
    if (touched.has(f)) shownErrors[f] = merged.fields[f];
  }
  const invalid = Object.keys(merged.fields).length > 0 || merged.other.length > 0;

  const touch = useCallback((field: ScheduleField) => {
    setTouched((t) => (t.has(field) ? t : new Set(t).add(field)));
  }, []);

  const update = useCallback(
    (patch: Partial<ScheduleForm>, field?: ScheduleField) => {
      setForm((f) => ({ ...f, ...patch }));
      if (field) touch(field);
    },
    [touch],
  );

  const pickOffice = useCallback(
    (end: End, id: string) => {
      update({ [typeField(end)]: 'ownOffices', [officeField(end)]: id });
      touch(officeField(end));
    },
    [touch, update],
  );

  const revealAll = useCallback(() => setTouched(ALL_FIELDS), []);

  const send = async () => {
    revealAll();
    if (Object.keys(clientErrors).length > 0 || sending) return;
    setSending(true);
    setScheduleError(null);
    try {
      const problems = await validateFloviSchedule(request);
      if (problems.length > 0) {
        setServer({ key: requestKey, errors: problems });
        return;
      }
      const result = await createFloviSchedule(request);
      setCreated({ result, request, at: Date.now() });
      window.requestAnimationFrame(() => resultRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }));
    } catch (err) {
      setCreated(null);
      setScheduleError(explainError(ApiError.from(err), 'schedule'));
    } finally {
      setSending(false);
      refreshHistory();
    }
  };

  const rerun = async (id: number) => {
    setRerunning(id);
    setRerunError(null);
    try {
      const call = await rerunFloviCall(id);
      setFreshCall(call.id);
    } catch (err) {
      setRerunError(explainError(ApiError.from(err), 'rerun'));
    } finally {
      setRerunning(null);
      refreshHistory();
    }
  };

  return (
    <div className="flovi" id="view-flovi" role="tabpanel" aria-labelledby="nav-flovi" data-testid="flovi-panel" hidden={hidden}>
      <div className="flovi-page">
        <header className="flovi-head">
          <div>
            <h1>Flovi customer API</h1>
            <p>
              Ask Flovi for a schedule, then hand the completion link to your user; Flovi reports the reservation to your
              webhook. Every call is recorded in History.
            </p>
          </div>
        </header>
        <div className="flovi-grid">
          <div className="flovi-side">
            <FloviSetup settings={settings} loadError={settingsError} onChange={onSettings} />
            <FloviOffices
              offices={offices}
              busy={officesBusy}
              error={officesError}
              onLoad={() => void loadOffices()}
              onDismissError={() => setOfficesError(null)}
              onUse={pickOffice}
            />
          </div>
          <div className="flovi-main">
            <ScheduleFormCard
              form={form}
              offices={offices}
              errors={shownErrors}
              otherErrors={merged.other}
              pending={pendingFields(merged.fields, touched)}
              invalid={invalid}
              sending={sending}
              error={scheduleError}
              settings={settings}
              onUpdate={update}
              onTouch={touch}
              onRevealAll={revealAll}
              onSend={() => void send()}
              onDismissError={() => setScheduleError(null)}
            />
            {created && (
              <div ref={resultRef}>
                <ScheduleResultCard created={created} offices={offices} />
              </div>
            )}
            <FloviHistory
              calls={calls}
              loadError={historyError}
              rerunning={rerunning}
              rerunError={rerunError}
              freshCall={freshCall}
              onRefresh={refreshHistory}
              onRerun={(id) => void rerun(id)}
              onDismissError={() => setRerunError(null)}
            />
          </div>
        </div>
      </div>
    </div>
  );
}
