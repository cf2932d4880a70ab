/** The visitor page without any recorder: the baseline of the churn measurement. */
import { install } from './visitor.js';

install(null);
