CREATE TABLE `requests` (
	`run_id` text NOT NULL,
	`id` text NOT NULL,
	`shard` integer NOT NULL,
	`seq` integer NOT NULL,
	`region` text,
	`warmup` integer DEFAULT false NOT NULL,
	`scheduled_at_ms` real,
	`sent_at_ms` real NOT NULL,
	`headers_ms` real,
	`prompt_tokens` integer NOT NULL,
	`output_tokens` integer NOT NULL,
	`chunks` blob NOT NULL,
	`token_count_source` text NOT NULL,
	`outcome` text NOT NULL,
	`status` integer,
	`error` text,
	PRIMARY KEY(`run_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`created_at_ms` integer NOT NULL,
	`name` text,
	`state` text NOT NULL,
	`config_json` text NOT NULL,
	`plan_json` text,
	`results_json` text,
	`reason` text,
	`started_at_ms` integer,
	`finished_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `runs_created_at_ms_idx` ON `runs` (`created_at_ms`,`id`);