CREATE TABLE `probes` (
	`search_id` text NOT NULL,
	`probe_index` integer NOT NULL,
	`run_id` text NOT NULL,
	`load` real NOT NULL,
	`replicate_of` integer,
	`state` text NOT NULL,
	`outcome_json` text,
	`started_at_ms` integer NOT NULL,
	`finished_at_ms` integer,
	PRIMARY KEY(`search_id`, `probe_index`)
);
--> statement-breakpoint
CREATE TABLE `searches` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at_ms` integer NOT NULL,
	`name` text,
	`state` text NOT NULL,
	`request_json` text NOT NULL,
	`result_json` text,
	`warm_key` text NOT NULL,
	`reason` text,
	`finished_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `searches_created_at_ms_idx` ON `searches` (`created_at_ms`,`id`);--> statement-breakpoint
CREATE INDEX `searches_warm_key_idx` ON `searches` (`warm_key`,`state`,`finished_at_ms`);