import { describeLabGrading } from '../helpers/grade-lab.js';

// top-talker, through `lab selftest`: rates differ in every run; the reference finds the top talker and its rate,
// and each mistake fails exactly what its expect.yaml declares.
describeLabGrading('top-talker');
