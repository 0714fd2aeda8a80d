import type { GatewayCall } from '@athena/common';
import type { GatewayAction } from './frames';

/**
 * Admission control for WebSocket request frames (issue 12's AdmissionService plugs in here): throw an
 * AthenaError (429 with Retry-After, or 503) to refuse the frame; the dispatcher answers it as an error frame.
 * Bound to FRAME_ADMISSION; the default admits everything.
 */
export interface FrameAdmission {
  admit(call: GatewayCall, action: GatewayAction): void | Promise<void>;
}

export const FRAME_ADMISSION = Symbol.for('athena.frame-admission');

export const ADMIT_ALL: FrameAdmission = Object.freeze({ admit: () => undefined });
