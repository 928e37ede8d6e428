CREATE TABLE `request_pages` (
	`run_id` text NOT NULL,
	`shard` integer NOT NULL,
	`page` integer NOT NULL,
	`n` integer NOT NULL,
	`warmup_n` integer NOT NULL,
	`outcomes` text NOT NULL,
	`records` blob NOT NULL,
	PRIMARY KEY(`run_id`, `shard`, `page`)
);
