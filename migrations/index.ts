import { InitControlPlane1732200000000 } from './1732200000000-InitControlPlane';

/** Every control-plane migration, in order. Later issues append theirs here. */
export const CONTROL_PLANE_MIGRATIONS = [InitControlPlane1732200000000];
