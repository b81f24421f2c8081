import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from '../vendor/commander.js';
import { ACTIVATIONS } from '../activations/index.js';
import { TASKS } from '../data/dataset.js';
import { DATASETS } from '../data/load.js';
import { PREPROCESSINGS } from '../data/preprocess.js';
import { BackpropError, OptionError } from '../errors.js';
import { LOSSES } from '../losses/index.js';
import { INITIALIZERS } from '../nn/init.js';
import { OPTIMIZERS } from '../optimizers/index.js';
import { BACKENDS } from '../kernels/index.js';
import { describeSystemError } from '../io/node-files.js';
import { choice, dropoutList, fraction, layerList, monitor, MONITORS, nonNegativeInt, nonNegativeNumber, positiveInt, positiveNumber, schedule, SCHEDULE_SYNTAX, threadCount } from './args.js';
import { evaluate } from './evaluate.js';
import { explainCommand } from './explain.js';
import { importCommand } from './import.js';
import { IMPORT_FORMATS } from '../io/import.js';
import { exportCommand } from './export.js';
import { consoleOutput, type Output } from './output.js';
import { playgroundCommand } from './playground.js';
import { predict } from './predict.js';
import { train, type TrainFlags } from './train.js';

/** The options every command that reads a data set and runs a network shares. */
function dataOptions(cmd: Command, withDefault: boolean, limit: string): Command {
  const data = new Option('--data <name|file.csv>', `data set: ${DATASETS.join(', ')}, or a CSV file`);
  return cmd
    .addOption(new Option('--backend <name>', 'kernels: auto (WebAssembly SIMD when available), wasm or js').choices(BACKENDS).default('auto'))
    .addOption(new Option('--threads <n>', "threads for the wasm kernels' large products, or auto (all cores)").argParser(threadCount).default('auto'))
    .addOption(withDefault ? data.default('digits') : data.makeOptionMandatory())
    .option('--data-dir <dir>', 'directory of the IDX files (mnist; fashion-mnist default /usr/share/datasets/fashion-mnist)')
    .option('--label <column>', 'CSV: label column, by name or 0-based index (default: the last column)')
    .addOption(new Option('--task <task>', 'CSV: classification or regression').argParser(choice(TASKS)))
    .addOption(new Option('--limit <n>', limit).argParser(positiveInt));
}

/** The package's version, from its package.json (two levels up from both src/cli and dist/cli). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** The program; each command's action hands its exit status to `exit`. */
export function buildProgram(io: Output, exit: (status: number) => void = () => undefined): Command {
  const program = new Command('backprop')
    .description('Train, evaluate, explain and export dense neural networks trained by backpropagation.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.result(s.trimEnd()), writeErr: (s) => io.info(s.trimEnd()) });

  const trainCmd = dataOptions(program.command('train').description('train a network and save it as a model file'), true, 'use only the first n training samples (before the validation split)')
    .addOption(new Option('--layers <sizes>', 'hidden layer sizes, e.g. 256,128 ("none": no hidden layer)').argParser(layerList).default([128], '128'))
    .addOption(new Option('--activation <name>', 'hidden activation').choices(ACTIVATIONS.filter((a) => a !== 'softmax')).default('relu'))
    .addOption(new Option('--output-activation <name>', 'output activation (default: from the loss)').choices(ACTIVATIONS))
    .addOption(new Option('--loss <name>', 'cost (default: cross-entropy for classes, mse for regression)').choices(LOSSES))
    .addOption(new Option('--init <name>', 'weight initialisation').choices(INITIALIZERS).default('auto'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default('adam'))
    .addOption(new Option('--lr <rate>', 'learning rate η (default: sgd 0.01, momentum 0.01, adam 0.001)').argParser(positiveNumber))
    .addOption(new Option('--momentum <mu>', 'momentum μ (optimizer momentum)').argParser(fraction))
    .option('--nesterov', "Nesterov's momentum (optimizer momentum)")
    .addOption(new Option('--rho <rho>', 'decay ρ of the mean square (optimizer rmsprop; default 0.9)').argParser(fraction))
    .addOption(new Option('--weight-decay <lambda>', 'decoupled weight decay λ on the weights, W ← W − η·λ·W each step (AdamW with adam)').argParser(nonNegativeNumber))
    .addOption(new Option('--l1 <c>', 'L1 penalty c·Σ|W| on every layer\'s weights, part of the cost').argParser(nonNegativeNumber))
    .addOption(new Option('--l2 <c>', 'L2 penalty c·ΣW² on every layer\'s weights, part of the cost').argParser(nonNegativeNumber))
    .addOption(new Option('--dropout <rates>', 'dropout rate per hidden layer, e.g. 0.2,0.1 (one value: every hidden layer)').argParser(dropoutList))
    .addOption(new Option('--schedule <spec>', `learning-rate schedule: ${SCHEDULE_SYNTAX}`).argParser(schedule))
    .addOption(new Option('--warmup <n>', 'first n epochs ramp η up linearly to --lr, then the schedule (or a constant η)').argParser(positiveInt))
    .addOption(new Option('--early-stop <patience>', 'stop when --monitor has not improved for this many epochs, keeping the best epoch\'s weights').argParser(positiveInt))
    .addOption(new Option('--monitor <name>', `what --early-stop and a plateau schedule watch: ${Object.keys(MONITORS).join(', ')} (default val-loss)`).argParser(monitor))
    .addOption(new Option('--clip-norm <n>', 'clip the gradient to this global L2 norm').argParser(positiveNumber))
    .addOption(new Option('--clip-value <v>', 'clip each gradient entry to [−v, v]').argParser(positiveNumber))
    .addOption(new Option('--epochs <n>', 'epochs').argParser(positiveInt).default(10))
    .addOption(new Option('--batch-size <n>', 'samples per gradient step').argParser(positiveInt).default(32))
    .addOption(new Option('--validation <fraction>', 'fraction of the training set held out for validation').argParser(fraction).default(0.1))
    .addOption(new Option('--preprocess <kind>', 'input transform fitted on the training split: auto (none for images, standardize for CSV), ' + PREPROCESSINGS.join(', ')).choices(['auto', ...PREPROCESSINGS]).default('auto'))
    .addOption(new Option('--seed <n>', 'seed of the weights, the split and the shuffling').argParser(nonNegativeInt).default(1))
    .option('--out <file>', 'model file to write (safetensors)', 'model.safetensors')
    .addOption(new Option('--checkpoint-every <n>', 'save a checkpoint every n epochs').argParser(positiveInt))
    .option('--checkpoint <file>', 'checkpoint file (default: <out>.ckpt.safetensors); "{epoch}" in the name keeps one file per checkpoint')
    .option('--resume <file>', 'continue the run saved in this checkpoint, with its own network, optimizer and training settings')
    .option('--report <file.html>', 'also write a report: loss, accuracy and η per epoch, the confusion matrix, per-class precision and recall, the most confident mistakes (image sets)')
    .option('--deterministic', 'wasm kernels without fused multiply-adds: results bit-identical on every machine (default: FMA where the runtime has it, faster)')
    .action(async (flags: TrainFlags) => {
      exit(await train(flags, io, (name) => trainCmd.getOptionValueSource(name) === 'cli'));
    });

  dataOptions(program.command('eval').description('loss, accuracy, per-class accuracy and confusion matrix of a model on a data set'), true, 'evaluate only the first n samples of the split')
    .option('--model <file>', 'model file', 'model.safetensors')
    .addOption(new Option('--split <split>', 'which split (default: test when the data set has one)').choices(['train', 'test']))
    .option('--json', 'print JSON')
    .option('--report <file.html>', 'also write a report: the confusion matrix, per-class precision and recall, the most confident mistakes (image sets)')
    .action(async (flags) => exit(await evaluate(flags, io)));

  program
    .command('predict')
    .description('one prediction per CSV row (features only)')
    .option('--model <file>', 'model file', 'model.safetensors')
    .requiredOption('--input <file.csv|->', 'CSV of features, "-" for standard input')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .action(async (flags) => exit(await predict(flags, io)));

  dataOptions(program.command('explain').description('one backpropagation step for one sample, from the cost back to the input'), true, 'load only the first n samples of the split (--index must be below n)')
    .option('--model <file>', 'model file', 'model.safetensors')
    .addOption(new Option('--index <n>', 'sample number').argParser(nonNegativeInt).default(0))
    .addOption(new Option('--split <split>', 'which split (default: test when the data set has one)').choices(['train', 'test']))
    .addOption(new Option('--lr <rate>', 'also show the update W − η·∂C/∂W with this η').argParser(positiveNumber))
    .option('--step', "explain a training step as the model's training record defines it: dropout masks, the recorded clipping, the update with the recorded η")
    .addOption(new Option('--epoch <n>', "with --step: η of this epoch of the recorded schedule").argParser(positiveInt))
    .addOption(new Option('--mask-seed <n>', 'with --step: the key of the dropout masks (default 1)').argParser(nonNegativeInt))
    .option('--json', 'print every factor as JSON')
    .action(async (flags) => exit(await explainCommand(flags, io)));

  program
    .command('export')
    .description('write a model as ONNX, as a TensorFlow.js layers model, or as a PyTorch training script')
    .requiredOption('--model <file>', 'model file')
    .addOption(new Option('--format <format>', 'onnx, tfjs or pytorch').choices(['onnx', 'tfjs', 'pytorch']).makeOptionMandatory())
    .requiredOption('--out <path>', 'output file (onnx) or directory (tfjs, pytorch)')
    .option('--data <name|file.csv>', `pytorch: the training data (default: the model's): ${DATASETS.join(', ')}, or a CSV file`)
    .option('--data-dir <dir>', 'pytorch: directory of the IDX files (mnist, fashion-mnist)')
    .option('--label <column>', 'pytorch, CSV: label column, by name or 0-based index (default: the last column)')
    .addOption(new Option('--task <task>', 'pytorch, CSV: classification or regression').argParser(choice(TASKS)))
    .addOption(new Option('--limit <n>', 'pytorch: train on the first n samples only').argParser(positiveInt))
    .addOption(new Option('--optimizer <name>', "pytorch: optimizer (default: the model's training record, else adam)").choices(OPTIMIZERS))
    .addOption(new Option('--lr <rate>', 'pytorch: learning rate η').argParser(positiveNumber))
    .addOption(new Option('--momentum <mu>', 'pytorch: momentum μ').argParser(fraction))
    .addOption(new Option('--epochs <n>', 'pytorch: epochs (default 10)').argParser(positiveInt))
    .addOption(new Option('--batch-size <n>', 'pytorch: global batch (default 32)').argParser(positiveInt))
    .action(async (flags) => exit(await exportCommand(flags, io)));

  program
    .command('import')
    .description("read another library's dense network (PyTorch state dict, TF.js/Keras layers model, ONNX) as a backprop model file")
    .addOption(new Option('--from <format>', 'pytorch (a state dict as safetensors), keras or tfjs (model.json), onnx').choices(IMPORT_FORMATS).makeOptionMandatory())
    .requiredOption('--in <file>', 'the file: .safetensors, model.json or .onnx')
    .requiredOption('--out <file>', 'model file to write (safetensors)')
    .addOption(new Option('--activation <name>', 'pytorch: hidden activation (the state dict holds weights only)').choices(ACTIVATIONS.filter((a) => a !== 'softmax')))
    .addOption(new Option('--output-activation <name>', 'output activation (pytorch: default from the loss; tfjs, onnx: put on a linear output, e.g. softmax on logits)').choices(ACTIVATIONS))
    .addOption(new Option('--loss <name>', 'cost (pytorch: required; others: cross-entropy after softmax, else mse)').choices(LOSSES))
    .action(async (flags) => exit(await importCommand(flags, io)));

  program
    .command('playground')
    .description('serve the browser playground on localhost and print its address')
    .addOption(new Option('--port <n>', 'port on 127.0.0.1 (default 4173; 0: any free port)').argParser(nonNegativeInt))
    .option('--open', 'open it in the default browser')
    .action(async (flags: { port?: number; open?: boolean }) => exit(await playgroundCommand(flags, io)));

  return program;
}

/**
 * Runs the CLI; returns the exit status: 0 done, 1 a bad file or data set, 2 a bad flag or flag
 * value (commander's usage errors and every OptionError), 130 a training run stopped by SIGINT or
 * SIGTERM (its model saved). Expected errors print one line, never a stack trace.
 */
export async function main(argv: string[], io: Output = consoleOutput): Promise<number> {
  let status = 0;
  const program = buildProgram(io, (code) => (status = code));
  try {
    await program.parseAsync(argv);
    return status;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit with 0; usage errors were already printed by commander
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof BackpropError) {
      io.info(`backprop: ${e.message}`);
      return e instanceof OptionError ? 2 : 1;
    }
    const sys = e as NodeJS.ErrnoException;
    if (typeof sys.code === 'string' && sys.path !== undefined) {
      io.info(`backprop: cannot ${sys.syscall ?? 'open'} ${sys.path}: ${describeSystemError(sys.code)}`);
      return 1;
    }
    throw e;
  }
}
