import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsvDataset, parseCsvFeatures, readCsvDataset, readCsvFeatures } from '../../src/data/csv.js';
import { labelsOf } from '../../src/data/dataset.js';
import { DataError, FormatError, OptionError, ShapeError } from '../../src/errors.js';
import { tempDir } from './fixtures.js';

const IRIS = `sepal_length,sepal_width,species
5.1,3.5,setosa
7.0,3.2,versicolor
6.3,3.3,virginica
4.9,3.0,setosa
`;

describe('parseCsvDataset', () => {
  it('detects a header and takes the last column as the label by default', () => {
    const ds = parseCsvDataset(IRIS, { name: 'iris' });
    expect(ds.name).toBe('iris');
    expect(ds.featureNames).toEqual(['sepal_length', 'sepal_width']);
    expect(ds.x.toArray()).toEqual([[5.1, 3.5], [7.0, 3.2], [6.3, 3.3], [4.9, 3.0]].map((r) => r.map(Math.fround)));
    expect(ds.task).toBe('classification');
  });

  it('one-hot encodes classes named in sorted order', () => {
    const ds = parseCsvDataset('x,label\n1,b\n2,c\n3,a\n4,b\n');
    expect(ds.classNames).toEqual(['a', 'b', 'c']);
    expect(ds.y.toArray()).toEqual([[0, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  });

  it('sorts numeric class labels as numbers', () => {
    const ds = parseCsvDataset('1,10\n2,9\n3,2\n');
    expect(ds.classNames).toEqual(['2', '9', '10']);
    expect(Array.from(labelsOf(ds))).toEqual([2, 1, 0]);
  });

  it('reads a file without a header', () => {
    const ds = parseCsvDataset('1,2,0\n3,4,1\n');
    expect(ds.featureNames).toBeUndefined();
    expect(ds.x.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(ds.classNames).toEqual(['0', '1']);
  });

  it('does not mistake a non-numeric label in the first row for a header', () => {
    const ds = parseCsvDataset('1,2,cat\n3,4,dog\n');
    expect(ds.x.rows).toBe(2);
    expect(ds.classNames).toEqual(['cat', 'dog']);
  });

  it('takes the label column by name or by 0-based index', () => {
    const byName = parseCsvDataset('a,kind,b\n1,x,2\n3,y,4\n', { label: 'kind' });
    expect(byName.featureNames).toEqual(['a', 'b']);
    expect(byName.x.toArray()).toEqual([[1, 2], [3, 4]]);
    expect(byName.classNames).toEqual(['x', 'y']);
    for (const label of [0, '0']) {
      const byIndex = parseCsvDataset('x,1,2\ny,3,4\n', { label });
      expect(byIndex.x.toArray()).toEqual([[1, 2], [3, 4]]);
      expect(byIndex.classNames).toEqual(['x', 'y']);
    }
  });

  it('uses the given class names and rejects labels outside them', () => {
    const ds = parseCsvDataset('1,b\n2,a\n', { classNames: ['b', 'a', 'c'] });
    expect(ds.classNames).toEqual(['b', 'a', 'c']);
    expect(Array.from(labelsOf(ds))).toEqual([0, 1]);
    expect(() => parseCsvDataset('1,b\n2,d\n', { classNames: ['a', 'b'] })).toThrow('CSV input: line 2, column index 1: label "d" is not one of the classes a, b');
  });

  it('reads a numeric target for regression', () => {
    const ds = parseCsvDataset('a,b,price\n1,2,10.5\n3,4,-2e1\n', { task: 'regression' });
    expect(ds.task).toBe('regression');
    expect(ds.classNames).toBeUndefined();
    expect(ds.y.toArray()).toEqual([[10.5], [-20]]);
  });

  it('rejects an unknown task, listing the valid ones', () => {
    expect(() => parseCsvDataset(IRIS, { task: 'clustering' as 'regression' })).toThrow('unknown task "clustering"; valid: classification, regression');
  });

  describe('bad rows name their line in the file and their column', () => {
    const cases: [string, string, string][] = [
      ['a wrong column count', 'x,y,label\n1,2,a\n\n3,b\n', 'f.csv: line 4 has 2 columns, expected 3 (as on line 1)'],
      ['a non-numeric cell', 'x,y,label\n1,2,a\n3,abc,b\n', 'f.csv: line 3, column "y": "abc" is not a finite number'],
      ['an empty cell', 'x,y,label\n1,2,a\n3,,b\n', 'f.csv: line 3, column "y": empty cell; expected a number'],
      ['an empty cell on the first line (not taken for a header)', '1,,a\n2,3,b\n', 'f.csv: line 1, column index 1: empty cell; expected a number'],
      ['NaN', '1,2,a\n3,4,b\nNaN,5,c\n', 'f.csv: line 3, column index 0: "NaN" is not a finite number'],
      ['Infinity', 'x,y,label\n1,-Infinity,a\n', 'f.csv: line 2, column "y": "-Infinity" is not a finite number'],
      ['a number too large for a float', 'x,y,label\n1,1e999,a\n', 'f.csv: line 2, column "y": "1e999" is not a finite number'],
      ['a number beyond float32 (1e39)', 'x,y,label\n1,2,a\n1e39,3,b\n', 'f.csv: line 3, column "x": 1e39 is outside the float32 range (±3.4028235e38)'],
      ['a number beyond float32 (-1e308), on a later line', 'x,y,label\n1,2,a\n3,4,b\n5,-1e308,a\n', 'f.csv: line 4, column "y": -1e308 is outside the float32 range'],
      ['an empty label', 'x,y,label\n1,2,a\n3,4,\n', 'f.csv: line 3, column "label": empty label'],
    ];
    for (const [kind, text, message] of cases) {
      it(kind, () => {
        expect(() => parseCsvDataset(text, { name: 'f.csv' })).toThrow(DataError);
        expect(() => parseCsvDataset(text, { name: 'f.csv' })).toThrow(message);
      });
    }

    it('a regression target or a prediction input beyond float32', () => {
      expect(() => parseCsvDataset('x,t\n1,2\n2,3.5e38\n', { name: 'f.csv', task: 'regression' })).toThrow('f.csv: line 3, column "t": 3.5e38 is outside the float32 range');
      expect(() => parseCsvFeatures('1,2\n3,-4e38\n', { name: 'in.csv' })).toThrow('in.csv: line 2, column index 1: -4e38 is outside the float32 range');
      // the largest float32 itself is fine
      expect(parseCsvFeatures('3.4028234e38,1\n').x.data[0]).toBe(Math.fround(3.4028234e38));
    });

    it('a non-numeric regression target', () => {
      expect(() => parseCsvDataset('x,t\n1,2\n2,high\n', { name: 'f.csv', task: 'regression' })).toThrow('f.csv: line 3, column "t": "high" is not a finite number');
    });
  });

  it('rejects malformed CSV as a format error', () => {
    expect(() => parseCsvDataset('x,label\n1,"a\n2,b\n', { name: 'f.csv' })).toThrow(FormatError);
  });

  it('rejects empty input and a header without rows', () => {
    expect(() => parseCsvDataset('\n\n')).toThrow('CSV input: no rows');
    expect(() => parseCsvDataset('x,label\n')).toThrow('CSV input: no data rows, only a header');
  });

  it('explains a label column that does not exist', () => {
    expect(() => parseCsvDataset(IRIS, { label: 'kind' })).toThrow(OptionError);
    expect(() => parseCsvDataset(IRIS, { label: 'kind' })).toThrow('CSV input: no column named "kind" in the header on line 1; columns: sepal_length, sepal_width, species');
    expect(() => parseCsvDataset(IRIS, { label: 5 })).toThrow('label column index must be an integer in 0..2 (CSV input has 3 columns), got 5');
  });
});

describe('readCsvDataset', () => {
  it('names the data set after the file and errors after its path', () => {
    const path = join(tempDir(), 'flowers.csv');
    writeFileSync(path, IRIS + '5.0,oops,setosa\n');
    expect(() => readCsvDataset(path)).toThrow(`${path}: line 6, column "sepal_width": "oops" is not a finite number`);
    writeFileSync(path, IRIS);
    expect(readCsvDataset(path).name).toBe('flowers');
  });
});

describe('parseCsvFeatures', () => {
  it('reads every column as a feature, with or without a header', () => {
    expect(parseCsvFeatures('1,2\n3,4\n').x.toArray()).toEqual([[1, 2], [3, 4]]);
    const withHeader = parseCsvFeatures('a,b\n1,2\n');
    expect(withHeader.featureNames).toEqual(['a', 'b']);
    expect(withHeader.x.toArray()).toEqual([[1, 2]]);
  });

  it('checks the number of features the model expects', () => {
    expect(() => parseCsvFeatures('1,2,3\n', { features: 2, name: 'in.csv' })).toThrow(ShapeError);
    expect(() => parseCsvFeatures('1,2,3\n', { features: 2, name: 'in.csv' })).toThrow('in.csv has 3 columns but the model expects 2 features, one column each');
  });

  it('rejects bad cells with their line', () => {
    const path = join(tempDir(), 'in.csv');
    writeFileSync(path, 'a,b\n1,2\n3,inf\n');
    expect(() => readCsvFeatures(path)).toThrow(`${path}: line 3, column "b": "inf" is not a finite number`);
  });
});
