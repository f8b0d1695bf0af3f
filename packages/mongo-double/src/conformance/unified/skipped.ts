/**
 * Unified tests the embedded database does not pass, each with why. A feature the double lacks
 * is refused with one of mongod's error codes (`refusedWith`): the runner still runs such a test
 * and checks that it fails with exactly that code, so the double never answers it differently.
 * Entries without a code are not run; their reason says what stands in the way.
 */
export interface Skip {
  reason: string;
  refusedWith?: number;
}

const refused = (refusedWith: number, reason: string): Skip => ({ reason: `${reason} is not supported`, refusedWith });
const MERGE = refused(115, "the $merge stage");
const OUT = refused(115, "the $out stage");
const FAIL_COMMAND = refused(2, "the failCommand failpoint (a test command)");
const LIST_LOCAL_SESSIONS = refused(115, "the $listLocalSessions stage");
const VIEWS = refused(115, "views");
const VALIDATION = refused(115, "document validation");
const CLUSTERED = refused(115, "clustered collections");
const PRE_AND_POST_IMAGES = refused(115, "change stream pre- and post-images");
const PREPARE_UNIQUE = refused(115, "collMod of an index's prepareUnique");
const TIME_SERIES = refused(115, "time series collections");
const CAPPED = refused(115, "capped collections");
// Not run: the Node driver replaces a null _id with a new ObjectId before sending, so no server sees null.
const NULL_ID: Skip = { reason: "the driver sends an ObjectId for a null _id" };
// Not run: the assertion compares the lsid of sent commands, which needs command monitoring events.
const EVENTS: Skip = { reason: "the runner does not observe command events" };

/** Keyed by "<spec file> › <test description>". */
export const SKIPPED: Readonly<Record<string, Skip>> = {
  // the $merge stage: refused with CommandNotSupported (115)
  "aggregate-merge-errorResponse.json › aggregate $merge DuplicateKey error is accessible": MERGE,
  "aggregate-merge.json › Aggregate with $merge": MERGE,
  "aggregate-merge.json › Aggregate with $merge and batch size of 0": MERGE,
  "aggregate-merge.json › Aggregate with $merge and majority readConcern": MERGE,
  "aggregate-merge.json › Aggregate with $merge and local readConcern": MERGE,
  "aggregate-merge.json › Aggregate with $merge and available readConcern": MERGE,
  // the $out stage: refused with CommandNotSupported (115)
  "aggregate-let.json › Aggregate to collection with let option": OUT,
  "aggregate-out.json › Aggregate with $out": OUT,
  "aggregate-out.json › Aggregate with $out and batch size of 0": OUT,
  "bypassDocumentValidation.json › Aggregate with $out passes bypassDocumentValidation: false": OUT,
  // the failCommand failpoint (a test command): configureFailPoint refuses it with BadValue (2), "Cannot find failpoint failCommand"
  "bulkWrite-errorResponse.json › bulkWrite operations support errorResponse assertions": FAIL_COMMAND,
  "deleteOne-errorResponse.json › delete operations support errorResponse assertions": FAIL_COMMAND,
  "estimatedDocumentCount.json › estimatedDocumentCount errors correctly--command error": FAIL_COMMAND,
  "estimatedDocumentCount.json › estimatedDocumentCount errors correctly--socket error": FAIL_COMMAND,
  "insertOne-errorResponse.json › insert operations support errorResponse assertions": FAIL_COMMAND,
  "updateOne-errorResponse.json › update operations support errorResponse assertions": FAIL_COMMAND,
  "runCommand.json › does not retry retryable errors on given command": FAIL_COMMAND,
  // the driver, not the database (see NULL_ID)
  "create-null-ids.json › inserting _id with type null via insertOne": NULL_ID,
  "create-null-ids.json › inserting _id with type null via insertMany": NULL_ID,
  "create-null-ids.json › inserting _id with type null via bulkWrite": NULL_ID,
  // the $listLocalSessions stage: refused with CommandNotSupported (115)
  "db-aggregate-rawdata.json › Aggregate with rawData option on less than 8.2.0 - ignore argument": LIST_LOCAL_SESSIONS,
  "db-aggregate.json › Aggregate with $listLocalSessions": LIST_LOCAL_SESSIONS,
  "db-aggregate.json › Aggregate with $listLocalSessions and allowDiskUse": LIST_LOCAL_SESSIONS,
  // views: create refuses `viewOn` with CommandNotSupported (115)
  "estimatedDocumentCount.json › estimatedDocumentCount works correctly on views": VIEWS,
  // document validation: collMod and create refuse `validator` with CommandNotSupported (115)
  "findOneAndUpdate-errorResponse.json › findOneAndUpdate document validation errInfo is accessible": VALIDATION,
  // clustered collections: create refuses `clusteredIndex` with CommandNotSupported (115)
  "clustered-indexes.json › createCollection with clusteredIndex": CLUSTERED,
  "clustered-indexes.json › listCollections includes clusteredIndex": CLUSTERED,
  "clustered-indexes.json › listIndexes returns the index": CLUSTERED,
  // change stream pre- and post-images: create refuses the option with CommandNotSupported (115)
  "createCollection-pre_and_post_images.json › createCollection with changeStreamPreAndPostImages enabled":
    PRE_AND_POST_IMAGES,
  "modifyCollection-pre_and_post_images.json › modifyCollection to changeStreamPreAndPostImages enabled":
    PRE_AND_POST_IMAGES,
  // collMod of an index's prepareUnique (or hidden, unique): refused with CommandNotSupported (115)
  "modifyCollection-errorResponse.json › modifyCollection prepareUnique violations are accessible": PREPARE_UNIQUE,
  // time series collections: create refuses `timeseries` with CommandNotSupported (115)
  "timeseries-collection.json › createCollection with all options": TIME_SERIES,
  "timeseries-collection.json › insertMany with duplicate ids": TIME_SERIES,
  "timeseries-collection.json › createCollection with bucketing options": TIME_SERIES,
  // the runner, not the database (see EVENTS)
  "runCursorCommand.json › creates an implicit session that is reused across getMores": EVENTS,
  "runCursorCommand.json › accepts an explicit session that is reused across getMores": EVENTS,
  // capped collections: create refuses `capped` with CommandNotSupported (115)
  "runCursorCommand.json › does not close the cursor when receiving an empty batch": CAPPED,
};
