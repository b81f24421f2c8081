/**
 * The third-party modules the package uses, each named in one file of src/vendor. The build
 * (scripts/build-vendor.mjs) replaces each compiled file with a bundle of its module, so that
 * the installed package has no dependency: the command-line parser here, for the CLI.
 */
export { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
