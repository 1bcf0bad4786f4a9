/** The FINISH signature input (SPEC §8). */
import { ROUND_ID_BYTES } from '@venn/wire';
import { InternalError } from '@venn/errors';
import { FINISH_LABEL } from './constants.js';
import { ROLE_BYTE, type Role } from './roles.js';

/**
 * "VENN-V02-FINISH" || role(signer, 1) || round_id (32) || TH_final (64) || I2OSP(size, 4):
 * fixed-length fields after a fixed label, so the encoding is injective.
 */
export function finishSignatureInput(
  signer: Role,
  roundId: Uint8Array,
  transcriptHash: Uint8Array,
  intersectionSize: number,
): Uint8Array {
  if (roundId.length !== ROUND_ID_BYTES || transcriptHash.length !== 64) {
    throw new InternalError('invalid-length', `FINISH input needs a 32-byte round id and a 64-byte transcript hash`);
  }
  if (!Number.isSafeInteger(intersectionSize) || intersectionSize < 0 || intersectionSize > 0xffff_ffff) {
    throw new InternalError('invalid-length', `FINISH size ${intersectionSize} does not fit I2OSP(size, 4)`);
  }
  const input = new Uint8Array(FINISH_LABEL.length + 1 + ROUND_ID_BYTES + 64 + 4);
  let at = 0;
  input.set(FINISH_LABEL, at);
  at += FINISH_LABEL.length;
  input[at++] = ROLE_BYTE[signer];
  input.set(roundId, at);
  at += ROUND_ID_BYTES;
  input.set(transcriptHash, at);
  at += 64;
  new DataView(input.buffer).setUint32(at, intersectionSize);
  return input;
}
