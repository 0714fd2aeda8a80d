import { defineErrors } from '@athena/common';

/** The realtime library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const RealtimeErrors = defineErrors('realtime', {
  invalidFrame: {
    code: 'invalid_frame',
    status: 400,
    meaning: 'A frame is not a JSON object of the documented shape (field types named in the message)',
  },
  missingClientName: { code: 'missing_client_name', status: 400, meaning: 'The frame names no client_name' },
  pathActionMismatch: {
    code: 'path_action_mismatch',
    status: 400,
    meaning: 'The frame’s path does not match its action',
  },
  unknownAction: { code: 'unknown_action', status: 400, meaning: 'action is not one of the documented frame actions' },
  tooManyConnections: {
    code: 'too_many_connections',
    status: 503,
    meaning:
      'The WebSocket connection limit of the instance (503) or of the API key (429) is reached; retry after Retry-After',
    retryAfter: 5,
  },
  tooManySubscriptions: {
    code: 'too_many_subscriptions',
    status: 429,
    meaning: 'The connection holds its maximum number of subscriptions; unsubscribe first',
  },
  subscriptionTargetUnsupported: {
    code: 'subscription_target_unsupported',
    status: 400,
    meaning: 'Subscriptions need a catalog client (not a direct connection or custom_supabase)',
  },
  unknownSubscription: {
    code: 'unknown_subscription',
    status: 404,
    meaning: 'The frame names a subscription id this connection does not hold',
  },
  upgradeRequired: {
    code: 'upgrade_required',
    status: 426,
    meaning: 'The WebSocket route needs a WebSocket upgrade request',
  },
  frameTooLarge: {
    code: 'frame_too_large',
    status: 413,
    meaning: 'The frame exceeds gateway.websocket.max_frame_bytes',
  },
  invalidJson: { code: 'invalid_json', status: 400, meaning: 'Malformed JSON frame' },
});
