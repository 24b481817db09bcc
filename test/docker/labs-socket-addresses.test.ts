import { describeLabGrading } from '../helpers/grade-lab.js';

// socket-addresses, through `lab selftest`: the reference scores full marks; each mistake fails exactly what its expect.yaml declares.
describeLabGrading('socket-addresses');
