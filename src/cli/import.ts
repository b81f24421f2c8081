import { importModel } from '../io/import-files.js';
import type { ImportFormat } from '../io/import.js';
import type { Output } from './output.js';

export interface ImportFlags {
  from: ImportFormat;
  in: string;
  out: string;
  activation?: string;
  outputActivation?: string;
  loss?: string;
}

/** `backprop import`: another library's dense network as a backprop model file. */
export async function importCommand(flags: ImportFlags, io: Output): Promise<number> {
  const { network } = await importModel(flags);
  const architecture = [network.inputs, ...network.layers.map((l) => l.units)].join('-');
  io.result(`imported ${architecture} (${network.layers.map((l) => l.act.id).join(', ')}; ${network.cost.id}; ${network.dtype}) from ${flags.in}`);
  io.result(`saved ${flags.out}`);
  return 0;
}
