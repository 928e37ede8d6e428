CREATE TABLE `profiles` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at_ms` integer NOT NULL,
	`name` text,
	`state` text NOT NULL,
	`request_json` text NOT NULL,
	`run_id` text NOT NULL,
	`profile_json` text,
	`reason` text,
	`finished_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `profiles_created_at_ms_idx` ON `profiles` (`created_at_ms`,`id`);