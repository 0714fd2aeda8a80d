/** Where the control plane lives, decided at boot (configured URI or the embedded default). */
export interface ControlPlaneTarget {
  uri: string;
  /** 'configured' (gateway.logging_pg_uri / env) or 'embedded'. */
  origin: 'configured' | 'embedded';
}
export const CONTROL_PLANE_TARGET = Symbol.for('athena.controlPlaneTarget');
