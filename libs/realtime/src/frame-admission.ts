import { AdmissionDecision, AdmissionErrors, AdmissionService } from '@athena/admission';
import type { GatewayCall } from '@athena/common';
import type { GatewayAction } from './frames';

/**
 * Admission control for WebSocket request frames: throw an AthenaError (429 with Retry-After, or 503) to refuse the
 * frame; the dispatcher answers it as an error frame. Bound to FRAME_ADMISSION (admissionForFrames).
 */
export interface FrameAdmission {
  admit(call: GatewayCall, action: GatewayAction): void | Promise<void>;
}

export const FRAME_ADMISSION = Symbol.for('athena.frame-admission');

/**
 * Frames go through the same AdmissionService as HTTP requests (same budgets, same metrics), keyed by the route the
 * frame stands for. A frame over budget is refused with 429 `admission_rejected` + Retry-After: a WebSocket answer
 * cannot be a 202, so defer-on-limit does not apply to frames (send the call over HTTP with X-Athena-Defer).
 */
export function admissionForFrames(admission: AdmissionService): FrameAdmission {
  const decide = (d: AdmissionDecision): void => {
    if (d.outcome === 'admitted') return;
    throw AdmissionErrors.admissionRejected(
      'Too many requests',
      `Gateway admission limit reached (${d.scope === 'client' ? 'per-client' : 'global'} budget); retry after ${d.retryAfterSecs} s`,
      { retry_after_seconds: d.retryAfterSecs, scope: d.scope },
      { 'Retry-After': String(d.retryAfterSecs) },
    );
  };
  return {
    admit(call: GatewayCall): void | Promise<void> {
      const inlineOnly =
        call.target.directUri !== null ||
        call.target.supabaseUrl !== undefined ||
        call.target.supabaseKey !== undefined;
      const d = admission.check({ route: call.origin.url.split('?')[0], client: call.client, inlineOnly });
      return d instanceof Promise ? d.then(decide) : decide(d);
    },
  };
}
