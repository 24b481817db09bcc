import { describeLabGrading } from '../helpers/grade-lab.js';

// top-talker: rates differ in every run; the reference finds the top talker and its rate, and each mistake
// fails exactly the checks it should.
describeLabGrading('top-talker', {
  'cumulative-bytes': ['top', 'rate'],
  'bits-as-bytes': ['rate'],
});
